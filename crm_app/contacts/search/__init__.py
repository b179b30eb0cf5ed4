"""The contact list at scale: filters, sorts, ranked word-prefix search, counts, URL parameters.

Every contact has one ``contact_search`` row: ``name_doc`` (words of its names), ``body_doc`` (reference,
registration number, e-mails, cities, tags and phone digit forms), ``name_key`` (its display name, folded)
and the sort keys of the columns that live in other tables (city, e-mail, phone, assigned staff). Words are
folded: lower case, no accents, "ł" -> "l", so "wisniewski" finds "Wiśniewski". A phone adds three tokens:
the E.164 digits, the national digits and ``x`` + its digits reversed, so "last digits" become a prefix query.

SQLite indexes those documents with the FTS5 table ``contact_fts`` (external content, kept in sync by
triggers on ``contact_search``, word prefixes up to six letters indexed); PostgreSQL with a generated
``tsvector`` column and a GIN index. Both answer word-prefix queries from an index; the service API is the
same, the dialect picks the SQL.

On SQLite the documents also carry filter tokens (see ``tokens``): the list filters become part of the
same full-text match, which FTS5 answers by merging sorted id lists, so a search with filters, or several
filters together, never reads each candidate contact. ``tag_key`` (the first tag, folded) sorts by tags along
an index on both engines. Statements run on the session's connection (Core rows, no ORM row processing).

The modules, lowest first:

- ``words``: text and phone numbers as folded search words.
- ``filters``: ``ContactFilter``, ``ContactSort`` and their URL parameters.
- ``custom_fields``: custom fields as list columns, filters and searchable values; their values in SQL.
- ``tokens``: the filter tokens of a document (SQLite).
- ``documents``: the ``contact_search`` rows; reindexing contacts when they change.
- ``structures``: FTS5 / tsvector structures, bulk-load sync, the layout version and the rebuild.
- ``expressions``: parsing the typed search; FTS5 and tsquery expressions.
- ``plan``: a filter as a ``QueryPlan`` (conditions, full-text match, candidates).
- ``phases``: ordered phases of a list, fetching a page, cursors.
- ``rows``: the list rows of a page.
- ``query``: ``search_contacts``, ``count_contacts``, ``matching_ids`` (the reading API).
- ``pickers``: tag and staff choices of the filter pickers.
- ``views``: saved views.
"""
