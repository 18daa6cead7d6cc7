"""The byte-level parsers: each format's frames, boxes, pages or chunks, read as
bounded work over untrusted bytes. They import nothing else of the package;
``learn/metadata.py`` and the modules beside it turn what they find into a clip's
facts."""
