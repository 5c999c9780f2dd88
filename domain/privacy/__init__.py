"""Members' data rights: take every stored datum out (export), or leave for good (erasure)."""
