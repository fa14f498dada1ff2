"""gRPC surface of the identity service: validate, call the backend, map the result."""

from __future__ import annotations

from typing import Any

import grpc
from google.protobuf import struct_pb2
from google.protobuf.empty_pb2 import Empty
from google.protobuf.timestamp_pb2 import Timestamp

from careervault.identity.v1 import identity_pb2 as pb
from careervault.identity.v1 import identity_pb2_grpc
from careervault.runtime.context import current_principal
from careervault.runtime.errors import FieldViolation, InvalidArgument, NotFound
from careervault_identity.backend import Caller, Challenge, IdentityBackend, Profile, Tokens
from careervault_identity.lifecycle import AccountLifecycle

SERVICE = "careervault.identity.v1.IdentityService"
UPDATABLE = {"display_name", "external_ai_consent"}


def _ts(seconds: float) -> Timestamp:
    ts = Timestamp()
    ts.FromNanoseconds(int(seconds * 1e9))
    return ts


def user_to_pb(user: Profile) -> pb.User:
    return pb.User(
        name=f"users/{user.user_id}",
        email=user.email,
        display_name=user.display_name,
        mfa_enabled=user.mfa_enabled,
        external_ai_consent=user.external_ai_consent,
        email_verified=user.email_verified,
        create_time=_ts(user.create_time),
        update_time=_ts(user.update_time),
        etag=user.etag,
        consent_time=_ts(user.consent_time) if user.consent_time else None,
    )


def _sign_in(result: Tokens | Challenge) -> pb.SignInResponse:
    if isinstance(result, Challenge):
        return pb.SignInResponse(
            challenge=pb.AuthChallenge(
                type=pb.AuthChallenge.Type.Value(result.type), session=result.session
            )
        )
    return pb.SignInResponse(
        tokens=pb.AuthTokens(
            access_token=result.access_token,
            id_token=result.id_token,
            refresh_token=result.refresh_token,
            expires_in=result.expires_in,
            token_type="Bearer",
        )
    )


def _caller(name: str = "users/me") -> Caller:
    """`users/me` (or the caller's own id) -> the caller; anyone else's is NOT_FOUND."""
    principal = current_principal()
    if name in ("users/me", f"users/{principal.user_id}"):
        return Caller(principal.user_id, principal.token)
    if not name:
        raise InvalidArgument(
            "name is required.", violations=[FieldViolation("name", "name is required")]
        )
    raise NotFound("User not found.", reason="USER_NOT_FOUND")


def client_address(context: Any) -> str:
    """Who is asking, for throttling: the client Envoy saw, else the gRPC peer."""
    metadata = dict(context.invocation_metadata() or ())
    external = metadata.get("x-envoy-external-address")
    if isinstance(external, str) and external:
        return external
    peer = str(context.peer() or "")
    # "ipv4:127.0.0.1:5000" / "ipv6:[::1]:5000" -> the address without the port
    address = peer.split(":", 1)[-1]
    return address.rsplit(":", 1)[0] if ":" in address else address


class IdentityServicer(identity_pb2_grpc.IdentityServiceServicer):
    def __init__(self, backend: IdentityBackend, lifecycle: AccountLifecycle) -> None:
        self.backend = backend
        self.lifecycle = lifecycle

    async def _issue(self, result: Tokens | Challenge) -> pb.SignInResponse:
        """Tokens go out only to an account that is not being deleted (see lifecycle)."""
        if isinstance(result, Tokens):
            await self.lifecycle.check_sign_in(result, self.backend)
        return _sign_in(result)

    async def SignUp(
        self, request: pb.SignUpRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.SignUpResponse:
        user, confirm = await self.backend.sign_up(
            request.email, request.password, request.display_name
        )
        return pb.SignUpResponse(user=user_to_pb(user), confirmation_required=confirm)

    async def ConfirmSignUp(
        self, request: pb.ConfirmSignUpRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ConfirmSignUpResponse:
        await self.backend.confirm_sign_up(request.email, request.code)
        return pb.ConfirmSignUpResponse()

    async def SignIn(
        self, request: pb.SignInRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.SignInResponse:
        return await self._issue(
            await self.backend.sign_in(request.email, request.password, client_address(context))
        )

    async def RespondToChallenge(
        self, request: pb.RespondToChallengeRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.SignInResponse:
        return await self._issue(
            await self.backend.respond_to_challenge(
                request.session, request.code, client_address(context)
            )
        )

    async def RefreshTokens(
        self, request: pb.RefreshTokensRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.SignInResponse:
        return await self._issue(await self.backend.refresh(request.refresh_token))

    async def ForgotPassword(
        self, request: pb.ForgotPasswordRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ForgotPasswordResponse:
        await self.backend.forgot_password(request.email, client_address(context))
        return pb.ForgotPasswordResponse()

    async def ConfirmForgotPassword(
        self,
        request: pb.ConfirmForgotPasswordRequest,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> pb.ConfirmForgotPasswordResponse:
        await self.backend.confirm_forgot_password(
            request.email, request.code, request.new_password, client_address(context)
        )
        return pb.ConfirmForgotPasswordResponse()

    async def SignOut(
        self, request: pb.SignOutRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.SignOutResponse:
        await self.backend.sign_out(_caller())
        return pb.SignOutResponse()

    async def GetJwks(
        self, request: pb.GetJwksRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.Jwks:
        return pb.Jwks(keys=[pb.Jwk(**key) for key in self.backend.jwks()])

    async def GetUser(
        self, request: pb.GetUserRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.User:
        return user_to_pb(await self.backend.get_profile(_caller(request.name).user_id))

    async def UpdateUser(
        self, request: pb.UpdateUserRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.User:
        caller = _caller(request.user.name or "users/me")
        paths = set(request.update_mask.paths) or set(UPDATABLE)
        unknown = paths - UPDATABLE
        if unknown:
            raise InvalidArgument(
                "update_mask names fields that cannot be updated.",
                violations=[
                    FieldViolation("update_mask", f"{p} cannot be updated") for p in sorted(unknown)
                ],
            )
        updated = await self.backend.update_profile(
            caller.user_id,
            request.user.etag,
            request.user.display_name if "display_name" in paths else None,
            request.user.external_ai_consent if "external_ai_consent" in paths else None,
        )
        return user_to_pb(updated)

    async def ChangePassword(
        self, request: pb.ChangePasswordRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ChangePasswordResponse:
        await self.backend.change_password(
            _caller(request.name), request.current_password, request.new_password
        )
        return pb.ChangePasswordResponse()

    async def SetupMfa(
        self, request: pb.SetupMfaRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.SetupMfaResponse:
        setup = await self.backend.setup_mfa(_caller(request.name))
        return pb.SetupMfaResponse(secret=setup.secret, otpauth_uri=setup.otpauth_uri)

    async def VerifyMfa(
        self, request: pb.VerifyMfaRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.User:
        return user_to_pb(await self.backend.verify_mfa(_caller(request.name), request.code))

    async def DisableMfa(
        self, request: pb.DisableMfaRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.User:
        return user_to_pb(await self.backend.disable_mfa(_caller(request.name), request.code))

    async def ExportUserData(
        self, request: pb.ExportUserDataRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ExportUserDataResponse:
        caller = _caller(request.name)
        profile = await self.backend.get_profile(caller.user_id)
        data = struct_pb2.Struct()
        data.update(await self.lifecycle.export(caller))
        return pb.ExportUserDataResponse(user=user_to_pb(profile), data=data)

    async def DeleteUser(
        self, request: pb.DeleteUserRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> Empty:
        await self.lifecycle.delete(_caller(request.name), self.backend)
        return Empty()
