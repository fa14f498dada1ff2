# State in S3 (encrypted, versioned, locked with a lock file). The bucket is created once by hand
# before `terraform init` (deploy/README.md, step 1); its name and region go in backend.hcl
# (backend.hcl.example): terraform init -backend-config=backend.hcl
terraform {
  backend "s3" {}
}
