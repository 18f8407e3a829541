//! Terraform resources and module calls of one side, from the key paths of
//! its `.tf` files: which data stores a configuration declares, what
//! protects them, and which addresses `moved`/`removed` blocks account for.
//! Shared by the backup family (protection, retention on buckets) and the
//! durability family (a store removed).

use super::config_files::ConfigSide;
use super::keypath::{ConfigEntry, Scalar};
use super::words::words;
use std::collections::BTreeMap;

/// A `resource "type" "name" { … }` or `module "name" { … }` block.
#[derive(Clone, Debug)]
pub struct TfBlock {
    /// `aws_s3_bucket.logs`, `module.backups`.
    pub address: String,
    /// The resource type, or `module`.
    pub rtype: String,
    pub name: String,
    pub file: String,
    /// The block's settings, keyed by their path inside the block
    /// (`versioning.enabled`, `lifecycle.prevent_destroy`).
    pub attrs: Vec<(String, ConfigEntry)>,
}

impl TfBlock {
    pub fn get(&self, key: &str) -> Option<&ConfigEntry> {
        self.attrs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, e)| e)
    }

    /// The first entry of the block, where a finding about it points.
    pub fn first(&self) -> Option<&ConfigEntry> {
        self.attrs
            .iter()
            .map(|(_, e)| e)
            .min_by_key(|e| e.range.start)
    }

    /// The identifier the provider knows the store by: `bucket`,
    /// `identifier`, `name`, `bucket_name`; `None` when computed.
    pub fn identifier(&self) -> Option<String> {
        [
            "bucket",
            "identifier",
            "bucket_name",
            "name",
            "cluster_identifier",
            "domain_name",
        ]
        .iter()
        .find_map(|k| match &self.get(k)?.value {
            Scalar::Text(t) if !t.is_empty() => Some(t.clone()),
            _ => None,
        })
    }

    /// Words of the address and identifier: what the store is for.
    pub fn purpose_words(&self) -> Vec<String> {
        let mut w = words(&self.name);
        if let Some(id) = self.identifier() {
            w.extend(words(&id));
        }
        for (k, e) in &self.attrs {
            if k.starts_with("tags.") || k == "source" {
                w.extend(words(&e.value.shown()));
            }
        }
        w
    }

    /// The `source` of a module call.
    pub fn source(&self) -> String {
        self.get("source")
            .map_or_else(String::new, |e| e.value.shown())
    }
}

/// Every resource and module block of the HCL sides given, in order.
pub fn blocks(sides: &[&ConfigSide]) -> Vec<TfBlock> {
    let mut out: BTreeMap<String, TfBlock> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    for side in sides {
        for e in side.entries.iter() {
            let Some((address, rtype, name, rest)) = split_address(&e.path) else {
                continue;
            };
            let block = out.entry(address.clone()).or_insert_with(|| {
                order.push(address.clone());
                TfBlock {
                    address: address.clone(),
                    rtype: rtype.to_string(),
                    name: name.to_string(),
                    file: side.path.clone(),
                    attrs: Vec::new(),
                }
            });
            block.attrs.push((rest.to_string(), e.clone()));
        }
    }
    order.into_iter().filter_map(|a| out.remove(&a)).collect()
}

/// `resource.TYPE.NAME.rest` → (`TYPE.NAME`, TYPE, NAME, rest);
/// `module.NAME.rest` → (`module.NAME`, `module`, NAME, rest).
fn split_address(path: &str) -> Option<(String, &str, &str, &str)> {
    if let Some(r) = path.strip_prefix("resource.") {
        let mut parts = r.splitn(3, '.');
        let (t, n, rest) = (parts.next()?, parts.next()?, parts.next().unwrap_or(""));
        return Some((format!("{t}.{n}"), t, n, rest));
    }
    let r = path.strip_prefix("module.")?;
    let (n, rest) = r.split_once('.').unwrap_or((r, ""));
    Some((format!("module.{n}"), "module", n, rest))
}

/// The addresses `moved { from = … }` and `removed { from = … }` blocks of
/// these sides account for.
pub fn accounted_for(sides: &[&ConfigSide]) -> Vec<String> {
    sides
        .iter()
        .flat_map(|s| s.entries.iter())
        .filter(|e| e.path == "moved.from" || e.path == "removed.from")
        .map(|e| strip_index(&e.value.shown()))
        .collect()
}

/// `aws_s3_bucket.logs[0]`, `module.x["a"]` → without the index.
pub fn strip_index(address: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in address.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.trim().to_string()
}

/// The bucket a split resource (`aws_s3_bucket_versioning`, …) configures:
/// the address it references (`aws_s3_bucket.logs.id` → `aws_s3_bucket.logs`)
/// or the literal bucket name.
pub fn referenced_bucket(block: &TfBlock) -> Option<String> {
    let v = block.get("bucket")?.value.shown();
    let v = strip_index(&v);
    for suffix in [".id", ".bucket", ".arn"] {
        if let Some(a) = v.strip_suffix(suffix) {
            return Some(a.to_string());
        }
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_indexes() {
        assert_eq!(
            split_address("resource.aws_s3_bucket.logs.versioning.enabled"),
            Some((
                "aws_s3_bucket.logs".to_string(),
                "aws_s3_bucket",
                "logs",
                "versioning.enabled"
            ))
        );
        assert_eq!(
            split_address("module.db.deletion_protection").map(|a| a.0),
            Some("module.db".to_string())
        );
        assert_eq!(split_address("variable.x.default"), None);
        assert_eq!(strip_index("aws_s3_bucket.b[\"a\"]"), "aws_s3_bucket.b");
        assert_eq!(strip_index("module.m[0].x"), "module.m.x");
    }
}
