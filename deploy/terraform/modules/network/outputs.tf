output "vpc_id" {
  description = "The VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "The VPC's range."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets (the ALB, the NAT gateways)."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnets (every ECS task)."
  value       = aws_subnet.private[*].id
}

output "nat_public_ips" {
  description = "Addresses the tasks reach the internet from (for allow-lists at Google, say)."
  value       = aws_eip.nat[*].public_ip
}
