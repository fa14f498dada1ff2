output "gemini_secret_arn" {
  description = "Secret holding GEMINI_API_KEY."
  value       = aws_secretsmanager_secret.gemini.arn
}

output "gemini_secret_name" {
  description = "Name of the Gemini secret (for put-secret-value)."
  value       = aws_secretsmanager_secret.gemini.name
}

output "page_token_secret_arn" {
  description = "Secret holding CAREERVAULT_PAGE_TOKEN_SECRET."
  value       = aws_secretsmanager_secret_version.page_token.arn
}

output "cognito_client_secret_arn" {
  description = "Secret holding COGNITO_CLIENT_SECRET."
  value       = aws_secretsmanager_secret_version.cognito_client.arn
}

output "origin_verify" {
  description = "Value of the header CloudFront sends and the ALB requires."
  value       = random_password.origin_verify.result
  sensitive   = true
}
