# With var.route53_zone_id: alias records for the public name (CloudFront) and the origin name
# (the ALB). Without it, create the equivalent CNAMEs in your DNS (outputs cloudfront_domain_name
# and alb_dns_name).

resource "aws_route53_record" "app" {
  for_each = var.route53_zone_id == "" ? toset([]) : toset(["A", "AAAA"])

  zone_id = var.route53_zone_id
  name    = var.app_domain_name
  type    = each.key

  alias {
    name                   = module.cdn.distribution_domain_name
    zone_id                = module.cdn.distribution_hosted_zone_id
    evaluate_target_health = false
  }
}

resource "aws_route53_record" "api_origin" {
  count = var.route53_zone_id == "" ? 0 : 1

  zone_id = var.route53_zone_id
  name    = var.api_origin_domain_name
  type    = "A"

  alias {
    name                   = module.alb.dns_name
    zone_id                = module.alb.zone_id
    evaluate_target_health = true
  }
}
