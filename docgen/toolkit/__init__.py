"""Template maintainers' tools: the field reference, the template check, annotation.

`check.check_template` finds every problem of a Word template for a kind, located as a Word
user finds it (``表3 第12行 第4列``); `fields.field_reference` lists every field a template may
use; `annotate.annotate_template` writes a copy with each problem as a Word comment.
"""
