"""What a sample is: the field schema, encoded samples and outcomes, codecs, the shared HIM meta struct."""
