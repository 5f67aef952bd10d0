"""Chemistry on RDKit molecules: parsing, standardisation to the parent, gates for class rules, ring-substituted variants."""
