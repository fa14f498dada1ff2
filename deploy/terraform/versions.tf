terraform {
  # 1.10: S3 state locking without DynamoDB (use_lockfile), and validations that refer to other
  # variables.
  required_version = ">= 1.10.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}
