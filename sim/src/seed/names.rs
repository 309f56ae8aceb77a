//! Word lists for seeded data: people, folder names that trip up naive migrations, meeting
//! subjects, places.

/// Given names, several outside ASCII.
pub const GIVEN_NAMES: &[&str] = &[
    "Ann",
    "Bob",
    "Chloé",
    "Dmitri",
    "Eva",
    "Farid",
    "Grace",
    "Hiroshi",
    "Ines",
    "Jonas",
    "Kateřina",
    "Liam",
    "Mei",
    "Nadia",
    "Oscar",
    "Priya",
    "Quentin",
    "Rosa",
    "Søren",
    "Tomás",
    "Uma",
    "Viktor",
    "Wen",
    "Xavier",
    "Yara",
    "Zoë",
    "Łukasz",
    "Aoife",
    "Björn",
    "Chidi",
];

/// Surnames, several outside ASCII.
pub const SURNAMES: &[&str] = &[
    "Lee",
    "Müller",
    "García",
    "Okafor",
    "Nakamura",
    "Novák",
    "Dubois",
    "Kowalski",
    "Singh",
    "Rossi",
    "Johansson",
    "O'Brien",
    "Fernández",
    "Kim",
    "Ivanova",
    "Haddad",
    "Costa",
    "Schmidt",
    "Chen",
    "Andersen",
    "Nguyen",
    "Papadopoulos",
    "Yilmaz",
    "Moreau",
    "Silva",
];

/// Names for shared mailboxes.
pub const SHARED_MAILBOXES: &[&str] = &[
    "Support",
    "Accounts Payable",
    "Recruiting",
    "Facilities",
    "Press Office",
    "Sales Leads",
];

/// Names for room and equipment mailboxes.
pub const ROOMS: &[&str] = &[
    "Room Everest",
    "Room Kilimanjaro",
    "Board Room",
    "Salle Montmartre",
    "会議室 A",
];

/// Equipment names.
pub const EQUIPMENT: &[&str] = &["Projector 1", "Pool Car VW", "Camera Kit", "Laptop Loaner"];

/// User folder names, including the awkward ones real mailboxes have: a slash, Unicode,
/// emoji, a well-known name in another language, leading and inner punctuation.
pub const FOLDER_NAMES: &[&str] = &[
    "Projects",
    "Clients/Partners",
    "Réunions 2023",
    "Überprüfung",
    "重要",
    "📁 Receipts",
    "Posteingang",
    "Sent Items (old)",
    "Travel",
    "HR & Payroll",
    "Q1/Q2 Reports",
    "[Archive] 2019",
    "Newsletters",
    "Team",
    "Invoices",
    "Личное",
    "Follow up",
    "Customers <VIP>",
    "Ünïcödé Förmàt",
    "Board",
];

/// Meeting subjects.
pub const MEETINGS: &[&str] = &[
    "Weekly sync",
    "Quarterly review",
    "1:1",
    "Design review — phase 2",
    "Budget planning",
    "Kick-off: Projekt Nordlicht",
    "Réunion d'équipe",
    "All hands",
    "Customer call",
    "Lunch & learn",
];

/// Locations.
pub const PLACES: &[&str] = &[
    "Room Everest",
    "Teams",
    "Café Central",
    "Building 4, 2nd floor",
    "Zürich office",
    "",
];

/// Companies for contacts.
pub const COMPANIES: &[&str] = &[
    "Contoso",
    "Fabrikam",
    "Northwind Traders",
    "Tailspin Toys",
    "Wingtip",
    "Adatum",
    "Litware",
];

/// Task subjects.
pub const TASKS: &[&str] = &[
    "Send the signed contract",
    "Renew parking permit",
    "Prepare slides",
    "Review pull request",
    "Book flights to Lisbon",
    "Call the auditor",
];

/// Note texts.
pub const NOTES: &[&str] = &[
    "Wi-Fi password is on the whiteboard",
    "Ideas: offsite in spring?",
    "Remember: invoices go to AP by the 25th",
    "Größe 42, Farbe blau",
];

/// Domains of external correspondents.
pub const EXTERNAL_DOMAINS: &[&str] = &["example.org", "partner.example", "mail.example.net"];
