//! Every request the EWS client can build, with representative arguments for each operation and
//! option, validates against Microsoft's EWS schemas.

use bytes::Bytes;
use chrono::TimeZone;
use ferry_ews::request::{
    self, BaseShape, FindItemQuery, FolderShape, FolderUpdate, ItemShape, ItemUpdate,
    MailboxTarget, NewFolder, Paging, Request, SortOrder, Traversal,
};
use ferry_ews::types::{
    Comparison, CreateAction, DeleteType, EmailAddress, ExtendedProperty, ExtendedPropertyPath,
    FolderId, FolderRef, IdFormat, InboxRule, ItemId, MimeItem, Permission, PermissionUser,
    PropertyName, PropertyPath, PropertySet, Restriction, RuleEntry, RuleOperation, RuleValue,
    UploadItem,
};
use ferry_tests::validate_with_schemas;

const VERSION: &str = "Exchange2016";

fn extended_paths() -> Vec<ExtendedPropertyPath> {
    vec![
        ExtendedPropertyPath::public_string("FerrySourceId"),
        ExtendedPropertyPath::tag(0x0E06, "SystemTime"),
        ExtendedPropertyPath {
            name: PropertyName::Id(PropertySet::Distinguished("Common".into()), 0x8580),
            property_type: "StringArray".into(),
        },
        ExtendedPropertyPath {
            name: PropertyName::Name(
                PropertySet::Guid(uuid::Uuid::from_u128(
                    0x6a5f0c1e_77f2_4f0b_9a53_5f1e2d3c4b5a,
                )),
                "Marker".into(),
            ),
            property_type: "Integer".into(),
        },
    ]
}

fn rule() -> InboxRule {
    InboxRule {
        id: None,
        display_name: "Newsletters & digests".into(),
        priority: 1,
        is_enabled: true,
        conditions: vec![
            RuleEntry {
                name: "HasAttachments".into(),
                value: RuleValue::Flag(true),
            },
            RuleEntry {
                name: "ContainsSubjectStrings".into(),
                value: RuleValue::Strings(vec!["Digest".into()]),
            },
            RuleEntry {
                name: "FromAddresses".into(),
                value: RuleValue::Addresses(vec![EmailAddress {
                    name: Some("Ann".into()),
                    address: Some("ann@contoso.com".into()),
                }]),
            },
            RuleEntry {
                name: "WithinSizeRange".into(),
                value: RuleValue::SizeRange {
                    minimum: Some(10),
                    maximum: Some(1000),
                },
            },
        ],
        exceptions: vec![RuleEntry {
            name: "Importance".into(),
            value: RuleValue::Token("High".into()),
        }],
        actions: vec![
            RuleEntry {
                name: "StopProcessingRules".into(),
                value: RuleValue::Flag(true),
            },
            RuleEntry {
                name: "MoveToFolder".into(),
                value: RuleValue::Folder(FolderRef::Id(FolderId::new("AAMkFolder"))),
            },
            RuleEntry {
                name: "ForwardToRecipients".into(),
                value: RuleValue::Addresses(vec![EmailAddress {
                    name: None,
                    address: Some("ap@contoso.com".into()),
                }]),
            },
        ],
        unsupported_entries: Vec::new(),
    }
}

fn every_request(mailbox: &MailboxTarget) -> Vec<Request> {
    let folder_id = FolderId {
        id: "AAMkFolder=".into(),
        change_key: Some("AQAAAA==".into()),
    };
    let item_id = ItemId {
        id: "AAMkItem=".into(),
        change_key: Some("CQAAAA==".into()),
    };
    let inbox = FolderRef::distinguished("inbox");
    let by_id = FolderRef::Id(folder_id.clone());
    let folder_shape = FolderShape {
        base: BaseShape::AllProperties,
        fields: vec!["folder:PermissionSet".into()],
        extended: extended_paths(),
    };
    let item_shape = ItemShape {
        base: BaseShape::Default,
        include_mime: true,
        fields: vec!["item:Subject".into(), "message:InternetMessageId".into()],
        extended: extended_paths(),
    };
    let since = chrono::Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .expect("date");
    let restriction = Restriction::And(vec![
        Restriction::received_before(since),
        Restriction::Not(Box::new(Restriction::Exists(PropertyPath::Extended(
            ExtendedPropertyPath::public_string("FerrySourceId"),
        )))),
        Restriction::Or(vec![
            Restriction::Compare(
                PropertyPath::Extended(ExtendedPropertyPath::public_string("FerrySourceId")),
                Comparison::Equal,
                "src-1".into(),
            ),
            Restriction::received_since(since),
        ]),
    ]);
    let permissions = vec![
        Permission::with_level(PermissionUser::Default, "Reviewer"),
        Permission::with_level(PermissionUser::Anonymous, "None"),
        Permission {
            can_create_items: true,
            edit_items: "Owned".into(),
            read_items: "FullDetails".into(),
            ..Permission::with_level(
                PermissionUser::User {
                    address: "bob@contoso.com".into(),
                    display_name: None,
                },
                "Custom",
            )
        },
    ];
    let mut calendar_permissions = permissions.clone();
    calendar_permissions[0].level = "FreeBusyTimeOnly".into();
    let mime = MimeItem {
        item_class: "IPM.Note".into(),
        mime: Bytes::from_static(b"Subject: hi\r\n\r\nbody\r\n").into(),
        is_read: Some(true),
        extended_properties: vec![ExtendedProperty {
            path: ExtendedPropertyPath::tag(0x0E06, "SystemTime"),
            values: vec!["2020-01-01T00:00:00Z".into()],
        }],
    };
    let appointment = MimeItem {
        item_class: "IPM.Appointment".into(),
        is_read: None,
        ..mime.clone()
    };
    let note = MimeItem {
        item_class: "IPM.StickyNote".into(),
        ..mime.clone()
    };
    vec![
        request::get_folders(
            mailbox,
            VERSION,
            &[inbox.clone(), by_id.clone()],
            &folder_shape,
        ),
        request::get_folders(
            mailbox,
            VERSION,
            std::slice::from_ref(&inbox),
            &FolderShape::tree(),
        ),
        request::find_folders(
            mailbox,
            VERSION,
            &FolderRef::distinguished("msgfolderroot"),
            Traversal::Deep,
            &FolderShape::tree(),
            Paging::first(500),
            None,
        ),
        request::find_folders(
            mailbox,
            VERSION,
            &inbox,
            Traversal::Shallow,
            &folder_shape,
            Paging {
                offset: 500,
                max_entries: 10,
            },
            Some(&Restriction::Compare(
                PropertyPath::Field("folder:DisplayName".into()),
                Comparison::Equal,
                "Projects".into(),
            )),
        ),
        request::sync_folder_hierarchy(mailbox, VERSION, None, None, &FolderShape::tree()),
        request::sync_folder_hierarchy(
            mailbox,
            VERSION,
            Some(&FolderRef::distinguished("msgfolderroot")),
            Some("H4sIAAAA"),
            &folder_shape,
        ),
        request::create_folders(
            mailbox,
            VERSION,
            &inbox,
            &[
                NewFolder {
                    display_name: "Clients/Partners & <Co>".into(),
                    folder_class: "IPF.Note".into(),
                },
                NewFolder {
                    display_name: "Team Calendar".into(),
                    folder_class: "IPF.Appointment".into(),
                },
                NewFolder {
                    display_name: "Suppliers".into(),
                    folder_class: "IPF.Contact".into(),
                },
                NewFolder {
                    display_name: "Jobs".into(),
                    folder_class: "IPF.Task".into(),
                },
            ],
        ),
        request::update_folder(
            mailbox,
            VERSION,
            &by_id,
            &FolderUpdate::DisplayName("Renamed".into()),
        ),
        request::update_folder(
            mailbox,
            VERSION,
            &by_id,
            &FolderUpdate::Permissions {
                permissions: permissions.clone(),
                calendar: false,
            },
        ),
        request::update_folder(
            mailbox,
            VERSION,
            &FolderRef::distinguished("calendar"),
            &FolderUpdate::Permissions {
                permissions: calendar_permissions,
                calendar: true,
            },
        ),
        request::delete_folders(mailbox, VERSION, std::slice::from_ref(&folder_id), true),
        request::find_items(
            mailbox,
            VERSION,
            &inbox,
            &FindItemQuery {
                shape: ItemShape::listing(),
                paging: Paging::first(1000),
                restriction: Some(restriction),
                sort: vec![SortOrder {
                    field: "item:DateTimeReceived".into(),
                    descending: false,
                }],
            },
        ),
        request::find_items(
            mailbox,
            VERSION,
            &by_id,
            &FindItemQuery {
                shape: ItemShape::id_only(),
                paging: Paging {
                    offset: 1000,
                    max_entries: 1000,
                },
                restriction: None,
                sort: Vec::new(),
            },
        ),
        request::get_items(
            mailbox,
            VERSION,
            &[item_id.clone(), ItemId::new("AAMkOther=")],
            &item_shape,
        ),
        request::sync_folder_items(mailbox, VERSION, &inbox, None, 512, &ItemShape::listing()),
        request::sync_folder_items(
            mailbox,
            VERSION,
            &by_id,
            Some("H4sIAAAA"),
            100,
            &ItemShape::id_only(),
        ),
        request::create_items_from_mime(mailbox, VERSION, &inbox, &[mime, appointment, note]),
        request::update_items(
            mailbox,
            VERSION,
            &[ItemUpdate {
                id: item_id.clone(),
                set_extended: vec![
                    ExtendedProperty {
                        path: ExtendedPropertyPath::public_string("FerrySourceId"),
                        values: vec!["src-1".into()],
                    },
                    ExtendedProperty {
                        path: extended_paths()[2].clone(),
                        values: vec!["a".into(), "b".into()],
                    },
                ],
                delete_extended: vec![extended_paths()[3].clone()],
                is_read: Some(false),
            }],
        ),
        request::delete_items(
            mailbox,
            VERSION,
            std::slice::from_ref(&item_id),
            DeleteType::HardDelete,
        ),
        request::delete_items(
            mailbox,
            VERSION,
            std::slice::from_ref(&item_id),
            DeleteType::MoveToDeletedItems,
        ),
        request::export_items(
            mailbox,
            VERSION,
            &[item_id.clone(), ItemId::new("AAMkOther=")],
        ),
        request::resolve_names(
            mailbox,
            VERSION,
            "/o=ExchangeLabs/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=0123-ann",
        ),
        request::upload_items(
            mailbox,
            VERSION,
            &[
                UploadItem {
                    parent: folder_id.clone(),
                    action: CreateAction::CreateNew,
                    item_id: None,
                    is_associated: false,
                    data: Bytes::from(vec![7u8; 200_000]).into(),
                },
                UploadItem {
                    parent: folder_id.clone(),
                    action: CreateAction::Update,
                    item_id: Some(item_id.clone()),
                    is_associated: false,
                    data: Bytes::from_static(b"DATA").into(),
                },
                UploadItem {
                    parent: folder_id.clone(),
                    action: CreateAction::UpdateOrCreate,
                    item_id: Some(item_id.clone()),
                    is_associated: true,
                    data: Bytes::from_static(b"DATA").into(),
                },
            ],
        ),
        request::get_inbox_rules(mailbox, VERSION),
        request::update_inbox_rules(
            mailbox,
            VERSION,
            &[
                RuleOperation::Create(rule()),
                RuleOperation::Set(InboxRule {
                    id: Some("AQAAAA1=".into()),
                    ..rule()
                }),
                RuleOperation::Delete("AQAAAA2=".into()),
            ],
        ),
        request::convert_ids(
            mailbox,
            VERSION,
            &["AAMkItem=".into()],
            IdFormat::EwsId,
            IdFormat::HexEntryId,
        ),
        request::convert_ids(
            mailbox,
            VERSION,
            &["DUMMY".into()],
            IdFormat::EntryId,
            IdFormat::EwsLegacyId,
        ),
    ]
}

#[test]
fn every_request_validates_against_microsofts_schemas() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let mut files = Vec::new();
    let mut operations = std::collections::BTreeSet::new();
    for mailbox in [
        MailboxTarget::impersonated("ann.lee@contoso.com"),
        MailboxTarget::delegated("ann.lee@contoso.com"),
    ] {
        for (index, request) in every_request(&mailbox).into_iter().enumerate() {
            operations.insert(request.operation);
            let path = directory.path().join(format!(
                "{:?}-{index:02}-{}.xml",
                mailbox.access, request.operation
            ));
            std::fs::write(&path, request.to_text()).expect("written");
            files.push(path);
        }
    }
    assert_eq!(
        operations.len(),
        18,
        "every operation is covered: {operations:?}"
    );
    validate_with_schemas(&files).unwrap_or_else(|report| panic!("{report}"));
}

#[test]
fn delegate_requests_name_the_mailbox_and_impersonation_requests_impersonate() {
    let delegated = request::get_folders(
        &MailboxTarget::delegated("ann@contoso.com"),
        VERSION,
        &[FolderRef::distinguished("inbox")],
        &FolderShape::tree(),
    )
    .to_text();
    assert!(delegated
        .contains("<t:Mailbox><t:EmailAddress>ann@contoso.com</t:EmailAddress></t:Mailbox>"));
    assert!(!delegated.contains("ExchangeImpersonation"));
    let impersonated = request::get_folders(
        &MailboxTarget::impersonated("ann@contoso.com"),
        VERSION,
        &[FolderRef::distinguished("inbox")],
        &FolderShape::tree(),
    )
    .to_text();
    assert!(impersonated.contains("<t:PrimarySmtpAddress>ann@contoso.com</t:PrimarySmtpAddress>"));
    assert!(impersonated.contains(r#"<t:RequestServerVersion Version="Exchange2016"/>"#));
}
