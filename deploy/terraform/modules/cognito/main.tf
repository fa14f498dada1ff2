# The user pool and the one app client the identity service signs users in with
# (services/identity/src/careervault_identity/cognito.py; pool and client requirements in
# services/identity/README.md, "Running against a real Cognito pool").

resource "aws_cognito_user_pool" "this" {
  name                = "${var.prefix}-users"
  deletion_protection = var.deletion_protection ? "ACTIVE" : "INACTIVE"

  # Sign-in by email; the internal username is then the `sub` (what SECRET_HASH is computed
  # over on refresh). The service lower-cases emails; the pool ignores case as well.
  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]
  username_configuration {
    case_sensitive = false
  }

  # Cognito's default policy, which is what the local issuer enforces too (8+ characters, upper,
  # lower, digit, symbol), so both backends refuse the same passwords.
  password_policy {
    minimum_length                   = var.password_minimum_length
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = true
    temporary_password_validity_days = 7
  }

  # Optional TOTP: users turn it on from their profile (AssociateSoftwareToken,
  # VerifySoftwareToken, SetUserMFAPreference); sign-in then answers SOFTWARE_TOKEN_MFA. Not ON
  # (its MFA_SETUP challenge is not supported by the service) and no SMS.
  mfa_configuration = "OPTIONAL"
  software_token_mfa_configuration {
    enabled = true
  }

  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }

  admin_create_user_config {
    allow_admin_create_user_only = false # self sign-up (POST /v1/auth:signUp)
  }

  verification_message_template {
    default_email_option = "CONFIRM_WITH_CODE"
    email_subject        = "Your CareerVault code"
    email_message        = "Your CareerVault verification code is {####}."
  }

  # Cognito's own sender allows about 50 emails a day: enough to try it, not for real users.
  # Production sets ses_source_arn (a verified SES identity) and from_email_address.
  email_configuration {
    email_sending_account = var.ses_source_arn == "" ? "COGNITO_DEFAULT" : "DEVELOPER"
    source_arn            = var.ses_source_arn == "" ? null : var.ses_source_arn
    from_email_address    = var.from_email_address == "" ? null : var.from_email_address
  }

  # A changed email stays unverified, and the old one in use, until the code for the new one
  # is entered.
  user_attribute_update_settings {
    attributes_require_verification_before_update = ["email"]
  }

  # The profile's custom attributes (cognito.py ATTR_CONSENT, ATTR_CONSENT_TIME). Without them
  # sign-up fails ("Type for attribute {custom:ai_consent} could not be determined").
  schema {
    name                     = "ai_consent"
    attribute_data_type      = "String"
    mutable                  = true
    required                 = false
    developer_only_attribute = false
    string_attribute_constraints {
      min_length = "4"
      max_length = "5"
    }
  }

  schema {
    name                     = "consent_time"
    attribute_data_type      = "Number"
    mutable                  = true
    required                 = false
    developer_only_attribute = false
    number_attribute_constraints {
      min_value = "0"
    }
  }

  lifecycle {
    # Cognito cannot change a schema attribute after creation; the provider would replace the
    # pool (and lose every account) on any drift here.
    ignore_changes = [schema]
  }
}

resource "aws_cognito_user_pool_client" "identity" {
  name         = "${var.prefix}-identity"
  user_pool_id = aws_cognito_user_pool.this.id

  # The two flows cognito.py calls InitiateAuth with: USER_PASSWORD_AUTH (the service receives
  # the password over TLS and signs in with it) and REFRESH_TOKEN_AUTH. No SRP: the browser
  # never talks to Cognito; no admin flows: the service has no IAM permission for them.
  explicit_auth_flows = [
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
  ]

  # A confidential client: only the identity service (a server) uses it, and cognito.py adds
  # SECRET_HASH to every call when COGNITO_CLIENT_SECRET is set (the README calls a secret the
  # safer choice in production). The secret goes to Secrets Manager (../secrets).
  generate_secret = true

  prevent_user_existence_errors = "ENABLED" # same answer for an unknown email and a wrong password
  enable_token_revocation       = true      # SignOut is GlobalSignOut, which revokes refresh tokens

  # The local issuer's defaults (CAREERVAULT_ACCESS_TOKEN_TTL 900 s, ID_TOKEN_TTL 3600 s,
  # REFRESH_TOKEN_TTL 30 days; MFA_CHALLENGE_TTL 180 s for the sign-in session).
  access_token_validity  = var.access_token_minutes
  id_token_validity      = var.id_token_minutes
  refresh_token_validity = var.refresh_token_days
  auth_session_validity  = 3
  token_validity_units {
    access_token  = "minutes"
    id_token      = "minutes"
    refresh_token = "days"
  }

  read_attributes  = ["email", "email_verified", "name", "custom:ai_consent", "custom:consent_time"]
  write_attributes = ["email", "name", "custom:ai_consent", "custom:consent_time"]
}
