"""From what a video shows, says and writes to an item profile: attributes with confidence and evidence."""
