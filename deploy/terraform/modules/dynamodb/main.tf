# The jobs service's table, exactly as services/jobs/src/careervault_jobs/dynamo_store.py creates
# it for local use (`DynamoJobStore._create_table`, `_ensure_table`); tests/deploy/test_terraform.py
# compares the two.
#
# - One partition per user: PK `USER#{user}`, SK `JOB#{id}`, `REQ#{request id}`, `IMPORT#{key}`,
#   `FEED`; feed lookups under PK `FEED#{sha256}`.
# - Four LOCAL secondary indexes, one per listing order, sort keys k_create, k_update, k_applied,
#   k_company, projection ALL. DESIGN.md first named a GSI for listing; the code uses LSIs because
#   they can be read with ConsistentRead=True (a list always shows the user's own last write)
#   and listing never crosses users (services/jobs/README.md, "Why local and not global").
#   LSIs exist only if created with the table: adding an order later means a new table or a GSI.
# - TTL on `expire_at`: idempotency records (REQ#) and, when retention is on, closed applications.
# - On-demand billing, point-in-time recovery, encryption with the deployment's key.

resource "aws_dynamodb_table" "jobs" {
  name                        = var.name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "PK"
  range_key                   = "SK"
  table_class                 = "STANDARD"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "PK"
    type = "S"
  }

  attribute {
    name = "SK"
    type = "S"
  }

  attribute {
    name = "k_create"
    type = "S"
  }

  attribute {
    name = "k_update"
    type = "S"
  }

  attribute {
    name = "k_applied"
    type = "S"
  }

  attribute {
    name = "k_company"
    type = "S"
  }

  local_secondary_index {
    name            = "by_create"
    range_key       = "k_create"
    projection_type = "ALL"
  }

  local_secondary_index {
    name            = "by_update"
    range_key       = "k_update"
    projection_type = "ALL"
  }

  local_secondary_index {
    name            = "by_applied"
    range_key       = "k_applied"
    projection_type = "ALL"
  }

  local_secondary_index {
    name            = "by_company"
    range_key       = "k_company"
    projection_type = "ALL"
  }

  ttl {
    attribute_name = "expire_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  tags = { Name = var.name }
}
