"""The writer side: files -> extracted text -> structure -> chunks -> embeddings -> index."""
