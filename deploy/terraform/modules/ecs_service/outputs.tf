output "service_arn" {
  description = "ECS service ARN."
  value       = aws_ecs_service.this.id
}

output "service_name" {
  description = "ECS service name."
  value       = aws_ecs_service.this.name
}

output "security_group_id" {
  description = "The tasks' security group."
  value       = aws_security_group.this.id
}

output "task_definition_arn" {
  description = "Current task definition revision."
  value       = aws_ecs_task_definition.this.arn
}

output "log_group_name" {
  description = "CloudWatch log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "task_role_arn" {
  description = "The task's role (the code's calls, the collector's), or null."
  value       = local.task_role ? aws_iam_role.task[0].arn : null
}

output "execution_role_arn" {
  description = "ECS's role for starting the tasks."
  value       = aws_iam_role.execution.arn
}
