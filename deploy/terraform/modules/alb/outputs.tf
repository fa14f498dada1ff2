output "security_group_id" {
  description = "The ALB's security group (the gateway admits it)."
  value       = aws_security_group.alb.id
}

output "dns_name" {
  description = "The ALB's DNS name (the origin domain's CNAME or alias target)."
  value       = aws_lb.this.dns_name
}

output "zone_id" {
  description = "Hosted zone of the ALB (Route 53 alias records)."
  value       = aws_lb.this.zone_id
}

output "arn_suffix" {
  description = "LoadBalancer dimension of its CloudWatch metrics."
  value       = aws_lb.this.arn_suffix
}

output "target_group_arn" {
  description = "The gateway's target group."
  value       = aws_lb_target_group.gateway.arn
}

output "target_group_arn_suffix" {
  description = "TargetGroup dimension of its CloudWatch metrics."
  value       = aws_lb_target_group.gateway.arn_suffix
}

output "request_count_resource_label" {
  description = "ResourceLabel for ALBRequestCountPerTarget scaling."
  value       = "${aws_lb.this.arn_suffix}/${aws_lb_target_group.gateway.arn_suffix}"
}
