output "name" {
  description = "Table name."
  value       = aws_dynamodb_table.jobs.name
}

output "arn" {
  description = "Table ARN (its indexes are \"<arn>/index/*\")."
  value       = aws_dynamodb_table.jobs.arn
}
