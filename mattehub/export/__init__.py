"""``mattehub export``: built configs written back as the folders their training code reads
(the engine; each family's layout is its ``families/<family>/export.py``)."""
from mattehub.export.engine import ExportReport, export_config, exporter_class

__all__ = ["ExportReport", "export_config", "exporter_class"]
