"""Sites (点位): the places the assessment visits, of office-editable types, each with up to three answering
units (属地 territorial, 行业主管 sector, 管理主体 operator)."""
