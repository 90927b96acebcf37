"""The statement types anchor entries carry (a module without imports, so stores can use it freely)."""

STATUS_LIST_PUBLISHED = "StatusListPublished"
DID_LOG_PUBLISHED = "DidLogPublished"
#: Statements that a document was published at a URL: replicas are kept of the newest one per URL.
PUBLISHED = (STATUS_LIST_PUBLISHED, DID_LOG_PUBLISHED)
