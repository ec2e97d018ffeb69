-- The services' own login (compose: run once, when the data volume is new). A member of
-- bamsos_service, which the migrations grant every table to but the access log's UPDATE and DELETE
-- (README "Personal data protection"); `bamsos setup` migrates as the owner, bamsos.
CREATE ROLE bamsos_service NOLOGIN;
CREATE ROLE bamsos_app LOGIN PASSWORD 'change-me-bamsos-app' IN ROLE bamsos_service;
