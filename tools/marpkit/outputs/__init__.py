"""What marpkit writes for people and machines: finding formats, status, the course index."""
