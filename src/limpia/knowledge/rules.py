"""Who may do what in the knowledge centre (loaded by rules' autodiscovery).

Administrators edit and publish; everybody reads published documents and their results.
"""

import rules

from limpia.access.rules import is_admin


@rules.predicate
def is_published_document(user, obj) -> bool:
    document = getattr(obj, "document", obj)
    return document is not None and getattr(document, "status", None) == "published"


rules.add_perm("knowledge.edit_document", is_admin)
for model in ("document", "casestudyresult"):
    rules.add_perm(f"knowledge.view_{model}", is_admin | is_published_document)
    rules.add_perm(f"knowledge.add_{model}", is_admin)
    rules.add_perm(f"knowledge.change_{model}", is_admin)
    rules.add_perm(f"knowledge.delete_{model}", is_admin)
