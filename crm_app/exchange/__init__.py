"""Excel/CSV exchange: sample workbook, import (mapping, dry run, batches, undo) and export."""
