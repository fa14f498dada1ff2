variable "prefix" {
  description = "Cluster name."
  type        = string
}
