"""The pipeline's services, one package each (`services/<name>/service.py` declares its `SPEC`), and
what assembles them, on top of `shared/`: `catalog` lists them, `runner` runs them, `cli` is the
`bamsos` command, `generators` write deploy/ and docs/contract/ from them; `bridge` holds what the
editor and pickup bridges share."""
