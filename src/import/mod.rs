//! `stepwise import`: a procedure written in Markdown to a runbook. So far
//! the document model (`doc`) and the Markdown parser (`parse`, with
//! pulldown-cmark: why it and not comrak is in its module doc).
//!
//! An import never executes anything it reads.
#![allow(dead_code)]

mod doc;
mod parse;
