"""The methods anyone may call without a bearer token: one list for Envoy and the services.

Everything else a proto exposes needs a verified access token, at the edge and again in the
service. Kept free of imports so the gateway renderer can read it without the runtime.
"""

PUBLIC_METHODS: frozenset[str] = frozenset(
    {
        # Getting a token in the first place, and the keys that verify it.
        "/careervault.identity.v1.IdentityService/SignUp",
        "/careervault.identity.v1.IdentityService/ConfirmSignUp",
        "/careervault.identity.v1.IdentityService/SignIn",
        "/careervault.identity.v1.IdentityService/RespondToChallenge",
        "/careervault.identity.v1.IdentityService/RefreshTokens",
        "/careervault.identity.v1.IdentityService/ForgotPassword",
        "/careervault.identity.v1.IdentityService/ConfirmForgotPassword",
        "/careervault.identity.v1.IdentityService/GetJwks",
        # A calendar app cannot send a bearer token: the feed's secret in the path is the
        # credential, checked by the jobs service.
        "/careervault.jobs.v1.JobService/GetCalendarIcs",
    }
)

# Public methods that take a password or a code: rate limited at the edge (brute force).
CREDENTIAL_METHODS: frozenset[str] = PUBLIC_METHODS - {
    "/careervault.identity.v1.IdentityService/GetJwks",
    "/careervault.jobs.v1.JobService/GetCalendarIcs",
}
