//! Reading mailbox mappings from CSV: `source,destination` per line, an optional header line,
//! `#` comments and blank lines ignored. A bad line is reported with its number and skipped;
//! the good lines go on.

use std::io::Read;

use ferry_coordinator::requests::address;

/// A mapping read from a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvMapping {
    /// Line number (from 1).
    pub line: u64,
    /// Source address.
    pub source: String,
    /// Destination address.
    pub destination: String,
}

/// What a CSV held: good mappings and the problems of the bad lines.
#[derive(Debug, Default)]
pub struct CsvMappings {
    /// Mappings to add.
    pub mappings: Vec<CsvMapping>,
    /// `line N: what is wrong`.
    pub problems: Vec<String>,
}

/// Whether a record looks like a header (`source,destination`) rather than addresses.
fn is_header(fields: &csv::StringRecord) -> bool {
    fields.iter().all(|field| !field.contains('@'))
}

/// Reads mappings from CSV text. Each line is one record (addresses never hold line breaks), so
/// every problem names the line it is on.
pub fn read_mappings(mut input: impl Read) -> CsvMappings {
    let mut result = CsvMappings::default();
    let mut text = Vec::new();
    if let Err(error) = input.read_to_end(&mut text) {
        result
            .problems
            .push(format!("the file could not be read: {error}"));
        return result;
    }
    let text = String::from_utf8_lossy(&text);
    let mut seen = std::collections::HashMap::new();
    let mut first_record = true;
    for (index, line) in text.lines().enumerate() {
        let number = index as u64 + 1;
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(trimmed.as_bytes());
        let record = match reader.records().next() {
            Some(Ok(record)) => record,
            Some(Err(error)) => {
                result.problems.push(format!("line {number}: {error}"));
                continue;
            }
            None => continue,
        };
        if std::mem::take(&mut first_record) && is_header(&record) {
            continue;
        }
        if record.len() != 2 {
            result.problems.push(format!(
                "line {number}: expected 2 fields (source,destination), found {}",
                record.len()
            ));
            continue;
        }
        let checked = address("source", &record[0])
            .and_then(|source| Ok((source, address("destination", &record[1])?)));
        match checked {
            Ok((source, destination)) => {
                if let Some(first) = seen.insert(source.to_lowercase(), number) {
                    result.problems.push(format!(
                        "line {number}: {source} is already mapped on line {first}"
                    ));
                    continue;
                }
                result.mappings.push(CsvMapping {
                    line: number,
                    source,
                    destination,
                });
            }
            Err(error) => result.problems.push(format!("line {number}: {error}")),
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_lines_pass_and_bad_lines_are_named() {
        let text = "source,destination\n\
                    ann@contoso.com, ann@fabrikam.com\n\
                    # a comment\n\
                    \n\
                    bob@contoso.com\n\
                    carol@contoso.com,carol at fabrikam\n\
                    \"dave@contoso.com\",\"dave@fabrikam.com\"\n\
                    ANN@contoso.com,other@fabrikam.com\n";
        let read = read_mappings(text.as_bytes());
        let sources: Vec<&str> = read
            .mappings
            .iter()
            .map(|mapping| mapping.source.as_str())
            .collect();
        assert_eq!(sources, vec!["ann@contoso.com", "dave@contoso.com"]);
        assert_eq!(read.mappings[0].line, 2);
        assert_eq!(read.problems.len(), 3, "{:?}", read.problems);
        assert!(
            read.problems[0].starts_with("line 5: expected 2 fields"),
            "{:?}",
            read.problems
        );
        assert!(
            read.problems[1].starts_with("line 6: destination"),
            "{:?}",
            read.problems
        );
        assert!(
            read.problems[2].contains("already mapped on line 2"),
            "{:?}",
            read.problems
        );
    }
}
