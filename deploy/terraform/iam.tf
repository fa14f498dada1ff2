# What the services' code may do in AWS (their task roles), and what the VPC may do in DynamoDB.
# Derived from the calls the code makes; tests/deploy/test_terraform.py reads the boto3 calls in
# dynamo_store.py and cognito.py and checks these lists against them.
#
# - jobs (services/jobs/src/careervault_jobs/dynamo_store.py): GetItem, Query (the table and its
#   local indexes), PutItem, DeleteItem, BatchWriteItem, and TransactWriteItems, which IAM
#   authorises per action inside it (its Put and Delete actions: PutItem, DeleteItem). Not
#   CreateTable, DescribeTable, DescribeTimeToLive, UpdateTimeToLive: those run only with
#   CAREERVAULT_DYNAMODB_CREATE_TABLE=true, which is for local use; here the table is Terraform's.
# - identity (services/identity/src/careervault_identity/cognito.py): every other call it makes
#   (SignUp, InitiateAuth, GlobalSignOut, ...) is a public user-context operation that Cognito
#   authorises with the app client and the user's token, not IAM. AdminGetUser (profile times,
#   COGNITO_ADMIN_GET_USER=true) is the only one that needs IAM, on this pool only.
# - extraction, ai, gateway: no task role (ai's Gemini key is injected by ECS at start with the
#   ai execution role, which may read that one secret: modules/ecs_service).

locals {
  jobs_item_actions = [
    "dynamodb:BatchWriteItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
  ]
  jobs_index_actions = ["dynamodb:Query"]
}

data "aws_iam_policy_document" "jobs_task" {
  statement {
    sid       = "ItemsOfTheJobsTable"
    actions   = local.jobs_item_actions
    resources = [module.jobs_table.arn]
  }

  statement {
    sid       = "ListingIndexesOfTheJobsTable"
    actions   = local.jobs_index_actions
    resources = ["${module.jobs_table.arn}/index/*"]
  }
}

data "aws_iam_policy_document" "identity_task" {
  statement {
    sid       = "ProfileTimesFromThePool"
    actions   = ["cognito-idp:AdminGetUser"]
    resources = [module.cognito.user_pool_arn]
  }
}

# The DynamoDB gateway endpoint carries every DynamoDB call from the VPC: only the jobs table's
# item and index calls pass it.
data "aws_iam_policy_document" "dynamodb_endpoint" {
  statement {
    sid = "OnlyTheJobsTable"
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions   = local.jobs_item_actions
    resources = [module.jobs_table.arn]
  }

  statement {
    sid = "OnlyItsIndexes"
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    actions   = local.jobs_index_actions
    resources = ["${module.jobs_table.arn}/index/*"]
  }
}
