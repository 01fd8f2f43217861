"""Use case: find a person by phone number, email address or id (organizers' search box).

Exact lookups only (one read each): the identity items are keyed by address, so this needs
no index and no scan. Free-text name search would need one; it is not offered.
"""

from __future__ import annotations

from chalicelib.domain.model import EMAIL, PHONE, Address, Person
from chalicelib.domain.phones import InvalidPhoneNumber, to_e164
from chalicelib.services.ports.people import PeopleStore


def find_people(store: PeopleStore, query: str) -> list[Person]:
    query = query.strip()
    if not query:
        return []
    person_ids: list[str] = []
    if "@" in query:
        identity = store.find_identity(Address(EMAIL, query.lower()))
        if identity is not None:
            person_ids.append(identity.person_id)
    else:
        try:
            identity = store.find_identity(Address(PHONE, to_e164(query)))
        except InvalidPhoneNumber:
            identity = None
        if identity is not None:
            person_ids.append(identity.person_id)
        if query.isalnum():
            person_ids.append(query)  # a person id pasted from an export
    found: list[Person] = []
    for person_id in dict.fromkeys(person_ids):
        person = store.get_person(person_id)
        if person is not None:
            found.append(person)
    return found
