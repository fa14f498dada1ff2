# The secrets the services receive as environment variables at task start (ECS `secrets`, read
# by each service's execution role, never baked into an image, never in the task definition):
#
# | secret                   | variable                       | service  | value comes from                     |
# | ------------------------ | ------------------------------ | -------- | ------------------------------------ |
# | <prefix>/gemini-api-key  | GEMINI_API_KEY                 | ai       | the operator (put-secret-value)      |
# | <prefix>/page-token-key  | CAREERVAULT_PAGE_TOKEN_SECRET  | jobs     | generated here (random_password)     |
# | <prefix>/cognito-client  | COGNITO_CLIENT_SECRET          | identity | the app client (generate_secret)     |
#
# The Gemini key is created empty on purpose: its value never passes through Terraform, so it
# is not in the state. The two generated ones are in the state (as the app client's secret is
# anyway): keep the state bucket encrypted and private (deploy/README.md).

resource "aws_secretsmanager_secret" "gemini" {
  #checkov:skip=CKV2_AWS_57:The Gemini API key is issued by Google AI Studio; no Lambda can mint a new one. Rotate by hand: put-secret-value, then force a new deployment of the ai service (deploy/README.md).
  name                    = "${var.prefix}/gemini-api-key"
  description             = "GEMINI_API_KEY of the ai service (set with put-secret-value)"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 7
}

resource "random_password" "page_token" {
  length  = 64
  special = false
}

resource "aws_secretsmanager_secret" "page_token" {
  #checkov:skip=CKV2_AWS_57:Rotating the page-token key invalidates every page token in flight (clients restart their listing); rotate by tainting random_password.page_token and applying, not on a schedule.
  name                    = "${var.prefix}/page-token-key"
  description             = "CAREERVAULT_PAGE_TOKEN_SECRET of the jobs service (signs page tokens; shared by all replicas)"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "page_token" {
  secret_id     = aws_secretsmanager_secret.page_token.id
  secret_string = random_password.page_token.result
}

resource "aws_secretsmanager_secret" "cognito_client" {
  #checkov:skip=CKV2_AWS_57:The value is the Cognito app client's secret, which Cognito generates; it changes only with the client, and Terraform writes the new one here when it does.
  name                    = "${var.prefix}/cognito-client-secret"
  description             = "COGNITO_CLIENT_SECRET of the identity service"
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "cognito_client" {
  secret_id     = aws_secretsmanager_secret.cognito_client.id
  secret_string = var.cognito_client_secret
}

# The header CloudFront adds to every request it sends to the ALB; the ALB forwards only
# requests that carry it, so the gateway cannot be reached around CloudFront (and its WAF) from
# another CloudFront distribution.
resource "random_password" "origin_verify" {
  length  = 48
  special = false
}
