"""专项排查: campaigns with admin-defined forms that grid workers fill per household."""
