"""The pipeline's services, one package each (`services/<name>/service.py` declares its `SPEC`); `catalog`
lists them, and `bridge` holds what the editor and pickup bridges share."""
