"""The statement types anchor entries carry (a module without imports, so stores can use it freely)."""

STATUS_LIST_PUBLISHED = "StatusListPublished"
DID_LOG_PUBLISHED = "DidLogPublished"
#: A trust statement (a signed credential: accreditation, recognition agreement, framework, pathway…); its
#: ``url`` is the statement's credential id.
TRUST_STATEMENT_PUBLISHED = "TrustStatementPublished"
#: Statements that a document was published at a URL: replicas are kept of the newest one per URL and log.
PUBLISHED = (STATUS_LIST_PUBLISHED, DID_LOG_PUBLISHED, TRUST_STATEMENT_PUBLISHED)
