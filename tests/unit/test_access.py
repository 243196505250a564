import pytest

from fundledger.domain.access import Actor, PermissionDenied, Role, require


@pytest.mark.parametrize(
    ("role", "needed", "allowed"),
    [
        (Role.ADMIN, Role.ADMIN, True),
        (Role.ADMIN, Role.TREASURER, True),
        (Role.ADMIN, Role.VIEWER, True),
        (Role.TREASURER, Role.ADMIN, False),
        (Role.TREASURER, Role.TREASURER, True),
        (Role.TREASURER, Role.VIEWER, True),
        (Role.VIEWER, Role.TREASURER, False),
        (Role.VIEWER, Role.VIEWER, True),
    ],
)
def test_each_role_can_do_what_the_roles_below_it_can(
    role: Role, needed: Role, allowed: bool
) -> None:
    assert Actor("x", role).may(needed) is allowed
    assert Actor("x", role).sees_contact_details is (role != Role.VIEWER)


def test_a_refusal_names_the_role_needed_and_how_to_grant_it() -> None:
    expected = (
        r"dana is a viewer; to record a gift needs the treasurer role "
        r"\(an admin can grant it with: fundledger user role dana treasurer\)"
    )
    with pytest.raises(PermissionDenied, match=expected):
        require(Actor("dana", Role.VIEWER), Role.TREASURER, "record a gift")
    require(Actor("dana", Role.ADMIN), Role.TREASURER, "record a gift")
