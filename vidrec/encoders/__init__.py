"""Models behind small interfaces: image features, text embeddings, speech recognition, on-screen text."""
