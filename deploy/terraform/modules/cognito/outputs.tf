output "user_pool_id" {
  description = "COGNITO_USER_POOL_ID."
  value       = aws_cognito_user_pool.this.id
}

output "user_pool_arn" {
  description = "ARN of the pool (the identity task role's only resource)."
  value       = aws_cognito_user_pool.this.arn
}

output "client_id" {
  description = "COGNITO_CLIENT_ID."
  value       = aws_cognito_user_pool_client.identity.id
}

output "client_secret" {
  description = "COGNITO_CLIENT_SECRET (stored in Secrets Manager by ../secrets)."
  value       = aws_cognito_user_pool_client.identity.client_secret
  sensitive   = true
}

output "issuer" {
  description = "The iss of the pool's tokens."
  value       = "https://${aws_cognito_user_pool.this.endpoint}"
}
