"""gRPC surface of the identity service: validate, call the domain, map the result."""

from __future__ import annotations

from google.protobuf.empty_pb2 import Empty
from google.protobuf.timestamp_pb2 import Timestamp

from careervault.identity.v1 import identity_pb2 as pb
from careervault.identity.v1 import identity_pb2_grpc
from careervault.runtime.context import current_principal
from careervault.runtime.errors import FieldViolation, InvalidArgument, NotFound, Unimplemented
from careervault_identity.domain import Identity, Tokens, etag_of
from careervault_identity.keys import SigningKey
from careervault_identity.store import UserRecord

SERVICE = "careervault.identity.v1.IdentityService"
UPDATABLE = {"display_name", "external_ai_consent"}


def _ts(seconds: float) -> Timestamp:
    ts = Timestamp()
    ts.FromNanoseconds(int(seconds * 1e9))
    return ts


def user_to_pb(user: UserRecord) -> pb.User:
    return pb.User(
        name=f"users/{user.id}",
        email=user.email,
        display_name=user.display_name,
        mfa_enabled=user.mfa_enabled,
        external_ai_consent=user.external_ai_consent,
        email_verified=user.email_verified,
        create_time=_ts(user.create_time),
        update_time=_ts(user.update_time),
        etag=etag_of(user),
    )


def _tokens(tokens: Tokens) -> pb.SignInResponse:
    return pb.SignInResponse(
        tokens=pb.AuthTokens(
            access_token=tokens.access_token,
            id_token=tokens.id_token,
            refresh_token=tokens.refresh_token,
            expires_in=tokens.expires_in,
            token_type="Bearer",
        )
    )


def _own_user_id(name: str) -> str:
    """`users/me` (or the caller's own id) -> the caller's id; anyone else's is NOT_FOUND."""
    user_id = current_principal().user_id
    if name in ("users/me", f"users/{user_id}"):
        return user_id
    if not name:
        raise InvalidArgument(
            "name is required.", violations=[FieldViolation("name", "name is required")]
        )
    raise NotFound("User not found.", reason="USER_NOT_FOUND")


class IdentityServicer(identity_pb2_grpc.IdentityServiceServicer):
    def __init__(self, identity: Identity, key: SigningKey) -> None:
        self.identity = identity
        self.key = key

    async def SignUp(self, request: pb.SignUpRequest, context: object) -> pb.SignUpResponse:
        user = await self.identity.sign_up(request.email, request.password, request.display_name)
        return pb.SignUpResponse(
            user=user_to_pb(user), confirmation_required=not user.email_verified
        )

    async def SignIn(self, request: pb.SignInRequest, context: object) -> pb.SignInResponse:
        return _tokens(await self.identity.sign_in(request.email, request.password))

    async def RefreshTokens(
        self, request: pb.RefreshTokensRequest, context: object
    ) -> pb.SignInResponse:
        return _tokens(await self.identity.refresh(request.refresh_token))

    async def SignOut(self, request: pb.SignOutRequest, context: object) -> pb.SignOutResponse:
        await self.identity.sign_out(current_principal().user_id)
        return pb.SignOutResponse()

    async def GetJwks(self, request: pb.GetJwksRequest, context: object) -> pb.Jwks:
        return pb.Jwks(keys=[pb.Jwk(**self.key.jwk())])

    async def GetUser(self, request: pb.GetUserRequest, context: object) -> pb.User:
        return user_to_pb(await self.identity.get_user(_own_user_id(request.name)))

    async def UpdateUser(self, request: pb.UpdateUserRequest, context: object) -> pb.User:
        user_id = _own_user_id(request.user.name or "users/me")
        paths = set(request.update_mask.paths) or set(UPDATABLE)
        unknown = paths - UPDATABLE
        if unknown:
            raise InvalidArgument(
                "update_mask names fields that cannot be updated.",
                violations=[
                    FieldViolation("update_mask", f"{p} cannot be updated") for p in sorted(unknown)
                ],
            )
        updated = await self.identity.update_user(
            user_id,
            request.user.etag,
            request.user.display_name if "display_name" in paths else None,
            request.user.external_ai_consent if "external_ai_consent" in paths else None,
        )
        return user_to_pb(updated)

    # Part of the contract, served by a later release (confirmation codes, password reset,
    # MFA, account deletion and export). Until then they answer UNIMPLEMENTED (HTTP 501).
    async def ConfirmSignUp(
        self, request: pb.ConfirmSignUpRequest, context: object
    ) -> pb.ConfirmSignUpResponse:
        raise Unimplemented("Sign-up confirmation is not available yet.")

    async def RespondToChallenge(
        self, request: pb.RespondToChallengeRequest, context: object
    ) -> pb.SignInResponse:
        raise Unimplemented("Sign-in challenges are not available yet.")

    async def ForgotPassword(
        self, request: pb.ForgotPasswordRequest, context: object
    ) -> pb.ForgotPasswordResponse:
        raise Unimplemented("Password reset is not available yet.")

    async def ConfirmForgotPassword(
        self, request: pb.ConfirmForgotPasswordRequest, context: object
    ) -> pb.ConfirmForgotPasswordResponse:
        raise Unimplemented("Password reset is not available yet.")

    async def DeleteUser(self, request: pb.DeleteUserRequest, context: object) -> Empty:
        raise Unimplemented("Account deletion is not available yet.")

    async def ExportUserData(
        self, request: pb.ExportUserDataRequest, context: object
    ) -> pb.ExportUserDataResponse:
        raise Unimplemented("Data export is not available yet.")

    async def ChangePassword(
        self, request: pb.ChangePasswordRequest, context: object
    ) -> pb.ChangePasswordResponse:
        raise Unimplemented("Password change is not available yet.")

    async def SetupMfa(self, request: pb.SetupMfaRequest, context: object) -> pb.SetupMfaResponse:
        raise Unimplemented("MFA is not available yet.")

    async def VerifyMfa(self, request: pb.VerifyMfaRequest, context: object) -> pb.User:
        raise Unimplemented("MFA is not available yet.")

    async def DisableMfa(self, request: pb.DisableMfaRequest, context: object) -> pb.User:
        raise Unimplemented("MFA is not available yet.")
