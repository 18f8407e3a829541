//! Fact readers more than one family uses: configuration files as key
//! paths ([`keypath`], [`config_files`]), the route table of a side
//! ([`routes`]), Terraform resources and modules ([`terraform`]), the commands of a
//! shell script ([`shell`]) and the
//! words of names and paths ([`words`]).

pub mod config_files;
pub mod keypath;
pub mod routes;
pub mod shell;
pub mod syntax;
pub mod terraform;
pub mod words;
