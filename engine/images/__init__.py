"""The workload image catalog (PRODUCT.md §3) and the builder that makes the images."""
