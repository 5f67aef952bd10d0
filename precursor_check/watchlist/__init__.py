"""The watchlist: schema and loading, compiling for matching, validation, and matching a structure to hits."""
