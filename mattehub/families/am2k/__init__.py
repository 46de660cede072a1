"""AM-2k animal matting, read in place (``am-2k``, ``am-2k-validation``)."""
