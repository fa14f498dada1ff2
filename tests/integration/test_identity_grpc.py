"""The identity service (local issuer) through its typed gRPC stubs."""

from __future__ import annotations

import json
import uuid

import grpc
import pytest
from google.protobuf import field_mask_pb2

from careervault.identity.v1 import identity_pb2 as idpb
from careervault.identity.v1 import identity_pb2_grpc
from careervault.jobs.v1 import jobs_pb2 as jpb
from careervault.jobs.v1 import jobs_pb2_grpc
from tests.support.clients import PASSWORD, User, new_user, rich

pytestmark = pytest.mark.integration


def err_of(fn: object, *args: object, **kwargs: object) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as err:
        fn(*args, **kwargs)  # type: ignore[operator]
    return err.value


def test_sign_up_then_sign_in_gives_tokens_the_jobs_service_accepts(
    identity: identity_pb2_grpc.IdentityServiceStub, jobs: jobs_pb2_grpc.JobServiceStub
) -> None:
    email = f"New.User-{uuid.uuid4().hex[:8]}@Example.com"
    reply = identity.SignUp(idpb.SignUpRequest(email=email, password=PASSWORD, display_name="New"))
    assert reply.user.email == email.lower() and not reply.confirmation_required
    tokens = identity.SignIn(idpb.SignInRequest(email=email, password=PASSWORD)).tokens
    assert tokens.token_type == "Bearer" and 60 <= tokens.expires_in <= 3600
    md = (("authorization", f"Bearer {tokens.access_token}"),)
    assert jobs.ListJobs(jpb.ListJobsRequest(), metadata=md).total_size == 0
    me = identity.GetUser(idpb.GetUserRequest(name="users/me"), metadata=md)
    assert me.email == email.lower() and me.display_name == "New" and not me.external_ai_consent


def test_sign_up_refuses_weak_passwords_bad_emails_and_duplicates(
    identity: identity_pb2_grpc.IdentityServiceStub, alice: User
) -> None:
    err = rich(err_of(identity.SignUp, idpb.SignUpRequest(email="nope", password="weak")))
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(err.violations) == {"email", "password"}
    assert "upper-case" in err.violations["password"]
    err = rich(
        err_of(identity.SignUp, idpb.SignUpRequest(email=alice.email.upper(), password=PASSWORD))
    )
    assert err.code == grpc.StatusCode.ALREADY_EXISTS and err.reason == "EMAIL_TAKEN"


def test_wrong_password_and_unknown_user_look_the_same(
    identity: identity_pb2_grpc.IdentityServiceStub, alice: User
) -> None:
    wrong = rich(
        err_of(identity.SignIn, idpb.SignInRequest(email=alice.email, password="Wrong-pass1"))
    )
    unknown = rich(
        err_of(
            identity.SignIn, idpb.SignInRequest(email="ghost@example.com", password="Wrong-pass1")
        )
    )
    assert (wrong.code, wrong.message, wrong.reason) == (
        unknown.code,
        unknown.message,
        unknown.reason,
    )
    assert wrong.code == grpc.StatusCode.UNAUTHENTICATED and wrong.reason == "INVALID_CREDENTIALS"


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_family(
    identity: identity_pb2_grpc.IdentityServiceStub,
) -> None:
    user = new_user(identity)
    first = user.tokens.refresh_token
    second = identity.RefreshTokens(idpb.RefreshTokensRequest(refresh_token=first)).tokens
    assert second.refresh_token and second.refresh_token != first and second.access_token
    err = rich(err_of(identity.RefreshTokens, idpb.RefreshTokensRequest(refresh_token=first)))
    assert err.code == grpc.StatusCode.UNAUTHENTICATED and err.reason == "REFRESH_TOKEN_REUSED"
    err = rich(
        err_of(
            identity.RefreshTokens, idpb.RefreshTokensRequest(refresh_token=second.refresh_token)
        )
    )
    assert err.reason == "REFRESH_TOKEN_INVALID", "the whole family is revoked after reuse"


def test_sign_out_revokes_refresh_tokens(identity: identity_pb2_grpc.IdentityServiceStub) -> None:
    user = new_user(identity)
    identity.SignOut(idpb.SignOutRequest(), metadata=user.metadata)
    err = rich(
        err_of(
            identity.RefreshTokens,
            idpb.RefreshTokensRequest(refresh_token=user.tokens.refresh_token),
        )
    )
    assert err.code == grpc.StatusCode.UNAUTHENTICATED
    err = rich(err_of(identity.SignOut, idpb.SignOutRequest()))
    assert err.code == grpc.StatusCode.UNAUTHENTICATED and err.reason == "TOKEN_MISSING"


def test_profile_updates_use_the_mask_and_the_etag(
    identity: identity_pb2_grpc.IdentityServiceStub,
) -> None:
    user = new_user(identity)
    md = user.metadata
    me = identity.GetUser(idpb.GetUserRequest(name="users/me"), metadata=md)
    updated = identity.UpdateUser(
        idpb.UpdateUserRequest(
            user=idpb.User(
                name="users/me", display_name="Renamed", external_ai_consent=True, etag=me.etag
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["display_name", "external_ai_consent"]),
        ),
        metadata=md,
    )
    assert (
        updated.display_name == "Renamed"
        and updated.external_ai_consent
        and updated.etag != me.etag
    )
    err = rich(
        err_of(
            identity.UpdateUser,
            idpb.UpdateUserRequest(
                user=idpb.User(name="users/me", display_name="Stale", etag=me.etag),
                update_mask=field_mask_pb2.FieldMask(paths=["display_name"]),
            ),
            metadata=md,
        )
    )
    assert err.code == grpc.StatusCode.ABORTED
    err = rich(
        err_of(
            identity.UpdateUser,
            idpb.UpdateUserRequest(
                user=idpb.User(name="users/me"),
                update_mask=field_mask_pb2.FieldMask(paths=["email"]),
            ),
            metadata=md,
        )
    )
    assert err.code == grpc.StatusCode.INVALID_ARGUMENT and "update_mask" in err.violations
    assert (
        identity.GetUser(idpb.GetUserRequest(name="users/me"), metadata=md).display_name
        == "Renamed"
    )


def test_another_users_profile_is_not_found(
    identity: identity_pb2_grpc.IdentityServiceStub, alice: User, bob: User
) -> None:
    alice_me = identity.GetUser(idpb.GetUserRequest(name="users/me"), metadata=alice.metadata)
    err = rich(
        err_of(identity.GetUser, idpb.GetUserRequest(name=alice_me.name), metadata=bob.metadata)
    )
    assert err.code == grpc.StatusCode.NOT_FOUND
    assert (
        identity.GetUser(idpb.GetUserRequest(name=alice_me.name), metadata=alice.metadata)
        == alice_me
    )


def test_jwks_matches_the_key_file_envoy_reads(
    identity: identity_pb2_grpc.IdentityServiceStub, data_dir: object
) -> None:
    from pathlib import Path

    jwks = identity.GetJwks(idpb.GetJwksRequest())
    on_disk = json.loads((Path(str(data_dir)) / "identity" / "jwks.json").read_text())
    assert [k.kid for k in jwks.keys] == [k["kid"] for k in on_disk["keys"]]
    (key,) = jwks.keys
    assert (key.kty, key.alg, key.use) == ("RSA", "RS256", "sig") and key.n and key.e
