"""Transform: running dbt over the warehouse (the business rules themselves live in dbt_project/)."""
