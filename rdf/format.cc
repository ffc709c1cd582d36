// Placeholder; filled in by the rdf/ work (docs/rdf.md).
