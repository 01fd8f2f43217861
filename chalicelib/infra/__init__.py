"""Deployment: the CloudFormation additions and least-privilege policies (``make package``)."""
