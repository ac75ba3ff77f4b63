"""Disputes (矛盾纠纷): registered, mediated at the right level over the workflow engine, followed
up, and watched for signs that they are getting worse."""
