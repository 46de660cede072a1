"""Uploading verified output folders to the Hugging Face Hub."""
