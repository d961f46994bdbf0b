"""Excel workbooks: .xlsx (a zip of XML parts) and .xls (OLE2), every sheet a table."""
